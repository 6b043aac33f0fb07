# Two commands: `make run` (the app with the demo loaded) and `make test` (every test).
.PHONY: run test setup setup-test demo db-stop lint format bench clean

run: setup
	.venv/bin/lianxin db start
	@if [ "$${LIANXIN_DEMO:-1}" != 0 ]; then \
	  .venv/bin/lianxin demo load --if-empty && .venv/bin/lianxin users seed-demo; \
	else echo "LIANXIN_DEMO=0：不载入示例数据；用 .venv/bin/lianxin users add 创建账号"; fi
	@# N Streamlit workers behind HAProxy on PORT, the Open311 API on API_PORT (cli/serving.py)
	.venv/bin/lianxin serve --port $${PORT:-8501} --api-port $${API_PORT:-8502}

test: setup-test
	bash scripts/test.sh

setup:
	bash scripts/setup.sh run

setup-test:
	bash scripts/setup.sh test

demo: setup
	.venv/bin/lianxin demo generate
	.venv/bin/lianxin demo load --replace

db-stop:
	.venv/bin/lianxin db stop

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy

format:
	.venv/bin/ruff format . && .venv/bin/ruff check --fix .

bench:
	.venv/bin/python -m bench

clean:
	rm -rf static/vendor node_modules .pytest_cache .mypy_cache .ruff_cache
