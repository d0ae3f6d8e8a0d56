# The project's own warning set, applied PRIVATE per target, so it never
# leaks to consumers and is never global. BIOPTIMUS_WARNINGS_AS_ERRORS (set
# by the presets) adds -Werror.
set(BIOPTIMUS_WARNING_FLAGS
    -Wall
    -Wextra
    -Wpedantic
    -Wconversion
    -Wsign-conversion
    -Wshadow
    -Wold-style-cast
    -Wnon-virtual-dtor
    -Woverloaded-virtual
    -Wdouble-promotion
    -Wimplicit-fallthrough)

function(bioptimus_use_project_warnings target)
  target_compile_options(${target} PRIVATE ${BIOPTIMUS_WARNING_FLAGS}
                                           $<$<BOOL:${BIOPTIMUS_WARNINGS_AS_ERRORS}>:-Werror>)
endfunction()
