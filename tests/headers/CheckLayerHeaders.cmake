# The slide layers' headers include no OpenSlide, OpenCV or HDF5 header: those
# stay behind the layers' compiled code (PRIVATE), so a consumer never needs them.
include("${CMAKE_CURRENT_LIST_DIR}/HeaderDependencies.cmake")
check_header_dependencies(
  "openslide|opencv|hdf5|H5[A-Za-z]*\\.h" "OpenSlide, OpenCV or HDF5" bioptimus/io/wsi/reader.hpp
  bioptimus/extraction/wsi/tissue_mask.hpp bioptimus/extraction/wsi/tile_extractor.hpp
  bioptimus/extraction/wsi/thumbnail.hpp bioptimus/extraction/wsi/megatile_extractor.hpp
  bioptimus/pipeline/tile_stream.hpp bioptimus/pipeline/cohort.hpp)
