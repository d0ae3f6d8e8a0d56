# Source conventions a compiler does not enforce, checked by text:
# - no namespace-scope using-declaration or using-directive in a public
#   header (it would make an accidental public alias, as
#   `using extraction::wsi::TileSpec;` once did in bioptimus::models); alias
#   declarations (`using Name = Type;`) are deliberate and allowed;
# - every SpatialDims, PatchGrid and PixelExtent built in our sources names
#   its fields (`{.width = w, .height = h}`), so that a width/height swap is a
#   compile error, never a silent transposition.
# Run as: cmake -DSOURCE_DIR=<repo> -P CheckConventions.cmake
set(failures "")

file(GLOB_RECURSE public_headers "${SOURCE_DIR}/include/*.hpp")
foreach(header IN LISTS public_headers)
  file(STRINGS "${header}" lines)
  set(number 0)
  foreach(line IN LISTS lines)
    math(EXPR number "${number} + 1")
    # clang-format leaves namespace bodies unindented and indents class and
    # function bodies, so a `using` in column 0 is at namespace scope.
    if(line MATCHES "^using [^=]*;" OR line MATCHES "^using namespace ")
      string(APPEND failures "${header}:${number}: namespace-scope using in a public header: ${line}\n")
    endif()
  endforeach()
endforeach()

file(GLOB_RECURSE sources "${SOURCE_DIR}/include/*.hpp" "${SOURCE_DIR}/src/*.cpp" "${SOURCE_DIR}/src/*.hpp"
     "${SOURCE_DIR}/apps/*.cpp" "${SOURCE_DIR}/apps/*.hpp" "${SOURCE_DIR}/examples/*.cpp" "${SOURCE_DIR}/bench/*.cpp"
     "${SOURCE_DIR}/fuzz/*.cpp" "${SOURCE_DIR}/tests/*.cpp" "${SOURCE_DIR}/tests/*.hpp")
foreach(source IN LISTS sources)
  file(STRINGS "${source}" lines REGEX "(SpatialDims|PatchGrid|PixelExtent) *{")
  foreach(line IN LISTS lines)
    # `Type{}` and `Type{.width = ...}` are fine; anything else is positional.
    if(line MATCHES "(SpatialDims|PatchGrid|PixelExtent) *{ *[^.} ]")
      string(APPEND failures "${source}: positional width/height initializer: ${line}\n")
    endif()
  endforeach()
endforeach()

if(failures)
  message(FATAL_ERROR "source conventions broken:\n${failures}")
endif()
list(LENGTH public_headers header_count)
list(LENGTH sources source_count)
message(STATUS "conventions hold in ${header_count} public headers and ${source_count} sources")
