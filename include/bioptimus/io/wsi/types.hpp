// bioptimus/io/wsi/types.hpp
//
// The resolution types of whole-slide-image I/O, as the SDK's
// `bioptimus.io.wsi.types` module groups them: MPP, Magnification, Level,
// Resolution, MeasurementUnit, and the
// slide description SlideGeometry (with WSIDims and WSIBounds).
#ifndef BIOPTIMUS_IO_WSI_TYPES_HPP
#define BIOPTIMUS_IO_WSI_TYPES_HPP

#include "bioptimus/io/wsi/level.hpp"
#include "bioptimus/io/wsi/magnification.hpp"
#include "bioptimus/io/wsi/measurement_unit.hpp"
#include "bioptimus/io/wsi/mpp.hpp"
#include "bioptimus/io/wsi/resolution.hpp"
#include "bioptimus/io/wsi/slide.hpp"

#endif  // BIOPTIMUS_IO_WSI_TYPES_HPP
