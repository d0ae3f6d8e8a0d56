# The zoo tables of README.md and docs/model-zoo.md are what the tool prints:
# regenerate them with scripts/update-zoo-table.sh when a config changes.
execute_process(COMMAND "${TOOL}" list --format markdown OUTPUT_VARIABLE table RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "modelspec list --format markdown failed")
endif()
string(STRIP "${table}" table)
foreach(document README.md docs/model-zoo.md)
  file(READ "${SOURCE_DIR}/${document}" text)
  string(FIND "${text}" "<!-- zoo-table:begin -->\n${table}\n<!-- zoo-table:end -->" found)
  if(found EQUAL -1)
    message(FATAL_ERROR "${document}: the zoo table is out of date; run scripts/update-zoo-table.sh")
  endif()
endforeach()
