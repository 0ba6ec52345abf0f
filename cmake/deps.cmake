# Third-party dependencies: Debian packages through find_package/pkg-config, blst from the cache
# that scripts/setup.sh fills, BLAKE3 compiled from Debian's C sources.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(RocksDB REQUIRED)
find_package(spdlog REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(tomlplusplus REQUIRED)
find_package(CLI11 CONFIG QUIET)
find_package(OpenSSL REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
# jemalloc for the rampart binary (docs/architecture.md "Memory allocator"): glibc's malloc spent
# ~20% of a replica's CPU in this workload; sanitizer and fuzz builds keep their own allocator.
if(NOT RAMPART_SANITIZE AND NOT RAMPART_FUZZ)
  pkg_check_modules(JEMALLOC REQUIRED IMPORTED_TARGET jemalloc)
endif()

set(RAMPART_CACHE ${PROJECT_SOURCE_DIR}/.cache)
file(STRINGS ${PROJECT_SOURCE_DIR}/scripts/blst.lock _blst_ver REGEX "^BLST_VERSION=")
string(REPLACE "BLST_VERSION=" "" BLST_VERSION "${_blst_ver}")
set(BLST_DIR ${RAMPART_CACHE}/blst-${BLST_VERSION})
if(NOT EXISTS ${BLST_DIR}/libblst.a)
  message(FATAL_ERROR "blst not found in ${BLST_DIR}: run scripts/setup.sh (make setup)")
endif()
add_library(blst STATIC IMPORTED GLOBAL)
set_target_properties(blst PROPERTIES IMPORTED_LOCATION ${BLST_DIR}/libblst.a)
target_include_directories(blst SYSTEM INTERFACE ${BLST_DIR}/include)

if(EXISTS ${RAMPART_CACHE}/blake3-src-dir)
  file(STRINGS ${RAMPART_CACHE}/blake3-src-dir BLAKE3_SRC)
else()
  set(BLAKE3_SRC /usr/share/cargo/registry/blake3-1.3.1/c)
endif()
if(NOT EXISTS ${BLAKE3_SRC}/blake3.c)
  message(FATAL_ERROR "BLAKE3 C sources not found in ${BLAKE3_SRC}: run scripts/setup.sh")
endif()
# Official C implementation with its x86-64 assembly; blake3_dispatch.c picks SSE2/SSE4.1/AVX2/AVX-512 at run time.
add_library(blake3 STATIC
  ${BLAKE3_SRC}/blake3.c ${BLAKE3_SRC}/blake3_dispatch.c ${BLAKE3_SRC}/blake3_portable.c
  ${BLAKE3_SRC}/blake3_sse2_x86-64_unix.S ${BLAKE3_SRC}/blake3_sse41_x86-64_unix.S
  ${BLAKE3_SRC}/blake3_avx2_x86-64_unix.S ${BLAKE3_SRC}/blake3_avx512_x86-64_unix.S)
set_target_properties(blake3 PROPERTIES LINKER_LANGUAGE C POSITION_INDEPENDENT_CODE ON)
target_include_directories(blake3 SYSTEM PUBLIC ${BLAKE3_SRC})
