# `modelspec tiles` end to end, as a user runs it: two generated slides and a
# file that is not a slide. The good slides get their files, the bad one an
# error naming it, and the exit status is 1; without the bad one it is 0.
set(dir "${WORK_DIR}/tiles-command")
file(REMOVE_RECURSE "${dir}")
file(MAKE_DIRECTORY "${dir}")
foreach(name first second)
  execute_process(COMMAND "${GENERATOR}" "${dir}/${name}.tif" --size 8192x6144 --mpp 0.5 RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "make_tissue_slide failed: ${status}")
  endif()
endforeach()
file(WRITE "${dir}/broken.svs" "not a slide\n")

execute_process(
  COMMAND "${TOOL}" tiles "${dir}/first.tif" "${dir}/broken.svs" "${dir}/second.tif" --model h0-mini -o "${dir}/out"
          --format csv --mask-threshold 0.25 --thumbnail
  RESULT_VARIABLE status OUTPUT_VARIABLE output ERROR_VARIABLE errors)
foreach(expected first.csv first.png second.csv second.png)
  if(NOT EXISTS "${dir}/out/${expected}")
    set(missing "${missing} ${expected}")
  endif()
endforeach()

# CLAM's tcga preset, as CLAM applies it to this 20x slide, drops pieces under
# 1 mm^2: all five blobs (0.3-0.7 mm^2), which the default keeps. A name that
# is not a preset is a usage error.
execute_process(COMMAND "${TOOL}" tiles "${dir}/first.tif" --model h0-mini -o "${dir}/tcga" --tissue-preset tcga
                RESULT_VARIABLE tcga_status OUTPUT_VARIABLE tcga_output ERROR_VARIABLE tcga_errors)
execute_process(COMMAND "${TOOL}" tiles "${dir}/first.tif" --model h0-mini -o "${dir}/tcga" --tissue-preset TCGA
                RESULT_VARIABLE bad_status OUTPUT_QUIET ERROR_VARIABLE bad_errors)
file(REMOVE_RECURSE "${dir}")
if(NOT tcga_status EQUAL 0 OR NOT tcga_output MATCHES "^1 slides \\(0 failed\\), 0 tiles")
  message(FATAL_ERROR "--tissue-preset tcga: expected 0 tiles, got ${tcga_status}\n${tcga_output}\n${tcga_errors}")
endif()
if(NOT bad_status EQUAL 2 OR NOT bad_errors MATCHES "--tissue-preset")
  message(FATAL_ERROR "--tissue-preset TCGA: expected a usage error, got ${bad_status}\n${bad_errors}")
endif()
if(missing)
  message(FATAL_ERROR "missing outputs:${missing}\n${errors}")
endif()
if(NOT status EQUAL 1)
  message(FATAL_ERROR "expected exit status 1 with a broken slide, got ${status}\n${output}\n${errors}")
endif()
if(NOT errors MATCHES "broken\\.svs: cannot open slide")
  message(FATAL_ERROR "expected an error naming broken.svs, got:\n${errors}")
endif()
if(NOT output MATCHES "^3 slides \\(1 failed\\), [1-9][0-9]* tiles, [0-9.]+ s\n$")
  message(FATAL_ERROR "unexpected summary:\n${output}")
endif()
