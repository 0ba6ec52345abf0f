# The two commands a user needs: `make run` and `make test`. Everything else is for developers.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
GEN := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")

.PHONY: all setup build run test bench sim-long soak asan tsan fuzz clean format

all: build

setup:
	@bash scripts/setup.sh

$(BUILD)/CMakeCache.txt: | setup
	cmake -S . -B $(BUILD) $(GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

build: setup $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

run: build
	./$(BUILD)/rampart cluster up --dir $(or $(DIR),cluster)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 900

bench: build
	./$(BUILD)/rampart bench crypto --json $(BUILD)/bench-crypto.json

sim-long: build
	./$(BUILD)/rampart sim --protocol poe --seeds 20000 --seed-start 1 --faults all --keep-going
	./$(BUILD)/rampart sim --protocol pbft --seeds 20000 --seed-start 1 --faults all --keep-going
	./$(BUILD)/rampart sim --protocol poe --seeds 5000 --seed-start 1 --faults all --f 2 --keep-going
	./$(BUILD)/rampart sim --protocol pbft --seeds 5000 --seed-start 1 --faults all --f 2 --keep-going
	./$(BUILD)/rampart sim --protocol poe-mac --seeds 10000 --seed-start 1 --faults all --keep-going
	./$(BUILD)/rampart sim --protocol poe-mac --seeds 4000 --seed-start 1 --faults all --f 2 --keep-going

# Minutes of honest load + a hostile client + SIGKILL/restart of one replica at a time; ends with
# every acknowledged write read back, ledger verify on every replica and a memory bound (not in `make test`).
SOAK_SECONDS ?= 180
soak: build
	cmake --build $(BUILD) -j $(JOBS) --target soak_test
	SOAK_SECONDS=$(SOAK_SECONDS) ./$(BUILD)/tests/soak/soak_test

asan:
	$(MAKE) test BUILD=build-asan CMAKE_FLAGS="-DRAMPART_SANITIZE=address -DCMAKE_BUILD_TYPE=Debug"

tsan:
	$(MAKE) test BUILD=build-tsan CMAKE_FLAGS="-DRAMPART_SANITIZE=thread -DCMAKE_BUILD_TYPE=Debug"

FUZZ_SECONDS ?= 60
fuzz: setup
	cmake -S . -B build-fuzz $(GEN) -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRAMPART_FUZZ=ON -DBUILD_TESTING=OFF
	cmake --build build-fuzz -j $(JOBS)
	@for f in build-fuzz/fuzz/fuzz_*; do \
	  echo "== $$f ($(FUZZ_SECONDS) s)"; mkdir -p build-fuzz/corpus/$$(basename $$f); \
	  $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 build-fuzz/corpus/$$(basename $$f) || exit 1; \
	done

format:
	clang-format -i $$(git ls-files 'src/*.cpp' 'src/*.hpp' 'tests/*.cpp' 'fuzz/*.cpp')

clean:
	rm -rf build build-asan build-tsan build-fuzz
