# The installed modelspec runs `tiles` and `extract` through its installed
# companions (libexec/bioptimus/modelspec-tiles, modelspec-extract), not
# through the build tree: each command reaches the point where it opens the
# slide or the weights, which only the companion can.
#   cmake -DPREFIX=... -DWORK=... [-DWITH_EXTRACT=ON] -P CheckInstalledCompanions.cmake
set(tool "${PREFIX}/bin/modelspec")
execute_process(COMMAND "${tool}" tiles "${WORK}/missing.svs" --model h0-mini -o "${WORK}/companion-tiles"
                RESULT_VARIABLE status ERROR_VARIABLE errors OUTPUT_QUIET)
if(NOT status EQUAL 1 OR NOT errors MATCHES "missing.svs: cannot open slide: no such file")
  message(FATAL_ERROR "installed `modelspec tiles` did not run in its companion (exit ${status}):\n${errors}")
endif()
if(WITH_EXTRACT)
  # A file that exists but is no TorchScript model: the companion says so.
  execute_process(COMMAND "${tool}" extract "${WORK}/missing.svs" --model h0-mini --weights "${tool}" -o
                          "${WORK}/companion-extract" RESULT_VARIABLE status ERROR_VARIABLE errors OUTPUT_QUIET)
  if(NOT status EQUAL 1 OR NOT errors MATCHES "not a TorchScript model")
    message(FATAL_ERROR "installed `modelspec extract` did not run in its companion (exit ${status}):\n${errors}")
  endif()
endif()
