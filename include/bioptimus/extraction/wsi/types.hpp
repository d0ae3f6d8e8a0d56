// bioptimus/extraction/wsi/types.hpp
//
// The tile-extraction types, as the SDK's `bioptimus.extraction.wsi.types`
// module groups them (TileSpec, re-exported there by the SDK too, GridLayout
// and MegaTileSpec), and the tile planning over a slide (plan_tiles,
// TilePlan). MegaTileRegion lives with its extractor (megatile_extractor.hpp).
#ifndef BIOPTIMUS_EXTRACTION_WSI_TYPES_HPP
#define BIOPTIMUS_EXTRACTION_WSI_TYPES_HPP

#include "bioptimus/extraction/wsi/grid_layout.hpp"
#include "bioptimus/extraction/wsi/megatile_spec.hpp"
#include "bioptimus/extraction/wsi/tile_spec.hpp"
#include "bioptimus/extraction/wsi/tiling.hpp"

#endif  // BIOPTIMUS_EXTRACTION_WSI_TYPES_HPP
