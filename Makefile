# The two front doors of the README: `make demo` and `make test`.
# Both install missing Debian packages (scripts/setup-deps.sh), configure build/, build, run.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
ifeq ($(CI),true)
CMAKE_FLAGS += -DLOCKSTEP_WERROR=ON
endif

.PHONY: deps configure build demo test bench clean

deps:
	@bash scripts/setup-deps.sh

configure: deps
	@cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS) >/dev/null

build: configure
	@cmake --build $(BUILD) -j $(JOBS)

# Only what the demo runs (lockstep and the test guests): not the test binaries nor the ASan tree.
demo: configure
	@cmake --build $(BUILD) -j $(JOBS) --target lockstep guests
	@bash scripts/demo.sh $(BUILD)

test: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

bench: build
	@$(BUILD)/tools/lockstep bench

clean:
	rm -rf $(BUILD)
