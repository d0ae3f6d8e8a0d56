#!/usr/bin/env bash
# The hardening jobs (docs/hardening.md), after the README's test command (whose
# dev preset builds shared libraries: exceptions caught across the .so
# boundary): the whole test suite, static, under AddressSanitizer + UndefinedBehaviorSanitizer, the concurrency tests (the
# registry's, the model server's and remote backend's, and TileStream's 50
# streams created and destroyed mid-way) under ThreadSanitizer, and bounded libFuzzer runs of the YAML loader (any bytes end
# in a spec or a ConfigError), of the round trip (every accepted spec
# survives to_yaml -> parse_spec and to_json) and of the mega-tile spec decoder, from a seed corpus of every
# config and test fixture, of the native engine's inputs (safetensors files and timm config.json, from
# tests/data/engine/seeds), and of the tool's .npy header parser and the library's cohort manifest reader (from
# their few seeds in fuzz/seeds/). Exits non-zero on any failure.
#
#   BIOPTIMUS_FUZZ_SECONDS         fuzzing time per YAML target (default 12: CI's time budget)
#   BIOPTIMUS_ENGINE_FUZZ_SECONDS  fuzzing time per engine target (default 10: CI's time budget)
#   BIOPTIMUS_FUZZ_INPUT_SECONDS   fuzzing time per input-file target (default 10: CI's time budget)
#   BIOPTIMUS_HARDENING            steps to run (default "asan tsan fuzz")
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

fuzz_seconds=${BIOPTIMUS_FUZZ_SECONDS:-12}
engine_fuzz_seconds=${BIOPTIMUS_ENGINE_FUZZ_SECONDS:-10}
input_fuzz_seconds=${BIOPTIMUS_FUZZ_INPUT_SECONDS:-10}
steps=${BIOPTIMUS_HARDENING:-asan tsan fuzz}
timings=()
work=""
trap '[[ -z $work ]] || rm -rf "$work"' EXIT

# step NAME COMMAND...: runs COMMAND and records its wall time.
step() {
  local name=$1 start
  shift
  echo "=== hardening: ${name}"
  start=$(date +%s)
  "$@"
  timings+=("${name}: $(($(date +%s) - start)) s")
  echo "=== hardening: ${name} passed in $(($(date +%s) - start)) s"
}

preset_suite() {
  local preset=$1
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset"
  ctest --preset "$preset"
}

fuzz() {
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz
  work=$(mktemp -d "${TMPDIR:-/tmp}/bioptimus-fuzz.XXXXXX")
  mkdir -p "$work/corpus" "$work/artifacts"
  # The seed corpus is copied from the repository at run time: every config,
  # every YAML fixture and every kept fuzzer regression.
  local seed
  while IFS= read -r -d '' seed; do
    cp "$seed" "$work/corpus/$(echo "$seed" | tr '/' '_')"
  done < <(find configs tests/data -type f \( -name '*.yaml' -o -name '*.yml' -o -path '*/fuzz-regressions/*' \) -print0)
  echo "seed corpus: $(find "$work/corpus" -type f | wc -l) files"
  local fuzzer
  for fuzzer in parse_spec_fuzzer roundtrip_fuzzer parse_megatile_spec_fuzzer; do
    fuzz_target "$fuzzer" "$fuzz_seconds" fuzz/yaml.dict "$work"/corpus/*
  done
  for fuzzer in safetensors_fuzzer config_json_fuzzer; do
    fuzz_target "$fuzzer" "$engine_fuzz_seconds" fuzz/json.dict tests/data/engine/seeds/*
  done
  # The input-file parsers (issue 22): small formats with a few seeds each, no dictionary.
  fuzz_target npy_header_fuzzer "$input_fuzz_seconds" "" fuzz/seeds/npy/*
  fuzz_target manifest_fuzzer "$input_fuzz_seconds" "" fuzz/seeds/manifest/*
}

# fuzz_target NAME SECONDS DICTIONARY SEED...: runs build/fuzz/fuzz/NAME for SECONDS on its own copy of the seeds
# (DICTIONARY "" for none).
fuzz_target() {
  local fuzzer=$1 seconds=$2 dictionary=$3 status=0
  local options=()
  [[ -z $dictionary ]] || options=(-dict="$dictionary")
  shift 3
  # Each target grows its own copy of the seeds.
  mkdir -p "$work/$fuzzer"
  cp "$@" "$work/$fuzzer/"
  echo "--- ${fuzzer} for ${seconds} s"
  ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
    "build/fuzz/fuzz/$fuzzer" "${options[@]}" -max_total_time="$seconds" -rss_limit_mb=2048 \
    -timeout=10 -print_final_stats=1 -artifact_prefix="$work/artifacts/${fuzzer}-" "$work/$fuzzer" || status=$?
  if ((status != 0)) || [[ -n $(ls -A "$work/artifacts") ]]; then
    mkdir -p build/fuzz/artifacts
    cp "$work"/artifacts/* build/fuzz/artifacts/ 2>/dev/null || true
    echo "hardening: ${fuzzer} found a failing input (exit ${status}); kept in build/fuzz/artifacts/." >&2
    echo "hardening: reproduce with build/fuzz/fuzz/${fuzzer} FILE, fix, then add it to" \
      "tests/data/fuzz-regressions/ named after what it exercises." >&2
    return 1
  fi
}

for name in $steps; do
  case $name in
    asan) step "asan: whole test suite, ASan + UBSan" preset_suite asan ;;
    tsan) step "tsan: concurrency tests (the registry, the model server and remote backend, TileStream), ThreadSanitizer" preset_suite tsan ;;
    fuzz)
      step "fuzz: parse_spec_fuzzer, roundtrip_fuzzer, parse_megatile_spec_fuzzer, safetensors_fuzzer, config_json_fuzzer, npy_header_fuzzer and manifest_fuzzer (${fuzz_seconds} s each, the engine's ${engine_fuzz_seconds} s, the input files' ${input_fuzz_seconds} s)" fuzz
      ;;
    *)
      echo "hardening: unknown step ${name} (expected asan, tsan or fuzz)" >&2
      exit 2
      ;;
  esac
done
printf 'hardening timings:\n'
printf '  %s\n' "${timings[@]}"
