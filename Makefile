# make demo : set up the environment, then a small Fashion-MNIST headline (3 seeds, 2 targets) into figures/demo/
# make test : set up the environment, then the CI gate (clean, in sync, nbdev_test, pytest, reproduction check)
# make lab  : set up the environment, then JupyterLab on nbs/ (the explorer: 12_widgets.ipynb, `explore()`)
.PHONY: env demo test bench figures figures-paper lab

# experiments run at once in the figures (each in its own process with one torch thread): `make demo WORKERS=8`
WORKERS ?= 2

env:
	bash tools/setup_env.sh

demo: env
	.venv/bin/mi_figures --profile quick --only fig2_headline --out-dir figures/demo --workers $(WORKERS) \
		-p 'seeds=[0, 1, 2]' -p 'targets=["standard", "AT-AT"]' -p replicate=target -p n_per_class=3 \
		-p 'attack_steps_more=[1200]'

test: env
	bash tools/ci_gate.sh

bench: env
	.venv/bin/python -m mi_nonrobust.bench train

figures: env
	.venv/bin/mi_figures --profile quick --workers $(WORKERS)

figures-paper: env
	.venv/bin/mi_figures --profile paper

lab: env
	.venv/bin/jupyter lab --notebook-dir=nbs $(if $(filter 0,$(shell id -u)),--allow-root)
