// bioptimus/extraction/wsi/types.hpp
//
// The tile-extraction types, as the SDK's `bioptimus.extraction.wsi.types`
// module groups them (TileSpec, re-exported there by the SDK too),
// and the tile planning over a slide (plan_tiles, TilePlan).
#ifndef BIOPTIMUS_EXTRACTION_WSI_TYPES_HPP
#define BIOPTIMUS_EXTRACTION_WSI_TYPES_HPP

#include "bioptimus/extraction/wsi/tile_spec.hpp"
#include "bioptimus/extraction/wsi/tiling.hpp"

#endif  // BIOPTIMUS_EXTRACTION_WSI_TYPES_HPP
