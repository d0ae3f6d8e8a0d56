#include "thrower.hpp"

#include "bioptimus/io/wsi/mpp.hpp"

namespace bioptimus::test {

double checked_mpp(double microns_per_pixel) { return io::wsi::MPP{microns_per_pixel}.microns_per_pixel(); }

}  // namespace bioptimus::test
