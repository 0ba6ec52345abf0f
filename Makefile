# The two commands a user needs: `make run` and `make test`. Everything else is for developers.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
GEN := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")
# Paths under the checkout hash as relative ones, so clones in other folders share ccache hits.
export CCACHE_BASEDIR ?= $(CURDIR)

.PHONY: all setup build run test bench sim-long soak asan tsan fuzz clean format

all: build

setup:
	@bash scripts/setup.sh

$(BUILD)/CMakeCache.txt: | setup
	cmake -S . -B $(BUILD) $(GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)

build: setup $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# A wallet cluster by default: it comes with the HTTPS gateway and its dashboard (README's tour).
# APP=kv for the key-value store; the app is fixed when DIR's keys are made.
APP ?= wallet
run: build
	./$(BUILD)/rampart cluster up --dir $(or $(DIR),cluster) --app $(APP)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 900

bench: build
	./$(BUILD)/rampart bench crypto --json $(BUILD)/bench-crypto.json

# Long sweeps from one random start (printed first by each run; SEED_START=<n> replays it):
# 5,000 seeds per protocol at f=1 and 1,000 at f=2, every fault and adversary tactic, each seed a
# cluster of replica cores (~0.4 s a seed at f=1, ~0.8 s at f=2 here: about 2.5 hours on 2
# cores); then 500 and 150 with light slots (--batch-size 64: the batcher's light-load rules,
# docs/decisions/006, 007; the default batch of 4 fills every slot). Not in `make test`, which
# sweeps ~130 random seeds (SimSweep.RandomStart).
SEED_START ?= random
SIM_SEEDS_F1 ?= 5000
SIM_SEEDS_F2 ?= 1000
SIM_SEEDS_LIGHT_F1 ?= 500
SIM_SEEDS_LIGHT_F2 ?= 150
sim-long: build
	@rc=0; start=$(SEED_START); \
	if [ "$$start" = random ]; then start=$$(od -An -N4 -tu4 /dev/urandom | tr -d ' '); fi; \
	echo "sim-long: seed start $$start (replay: make sim-long SEED_START=$$start)"; \
	for p in poe poe-mac pbft; do \
	  ./$(BUILD)/rampart sim --protocol $$p --seeds $(SIM_SEEDS_F1) --seed-start $$start --faults all --keep-going || rc=1; \
	  ./$(BUILD)/rampart sim --protocol $$p --seeds $(SIM_SEEDS_F2) --seed-start $$start --faults all --f 2 --keep-going || rc=1; \
	done; \
	for p in poe poe-mac pbft; do \
	  ./$(BUILD)/rampart sim --protocol $$p --seeds $(SIM_SEEDS_LIGHT_F1) --seed-start $$start --faults all --batch-size 64 --keep-going || rc=1; \
	  ./$(BUILD)/rampart sim --protocol $$p --seeds $(SIM_SEEDS_LIGHT_F2) --seed-start $$start --faults all --batch-size 64 --f 2 --keep-going || rc=1; \
	done; exit $$rc

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
