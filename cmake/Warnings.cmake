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

# g++ 12 at -O2/-O3 reports -Wrestrict inside libstdc++ for `"text" +
# std::string(...)` (GCC bug 105329): that one warning stays a
# warning, so the release preset builds with -Werror too.
set(BIOPTIMUS_GCC12_RESTRICT_BUG $<AND:$<CXX_COMPILER_ID:GNU>,$<VERSION_LESS:$<CXX_COMPILER_VERSION>,13>>)

function(bioptimus_use_project_warnings target)
  target_compile_options(
    ${target} PRIVATE ${BIOPTIMUS_WARNING_FLAGS} $<$<BOOL:${BIOPTIMUS_WARNINGS_AS_ERRORS}>:-Werror>
                      $<$<AND:$<BOOL:${BIOPTIMUS_WARNINGS_AS_ERRORS}>,${BIOPTIMUS_GCC12_RESTRICT_BUG}>:-Wno-error=restrict>)
endfunction()
