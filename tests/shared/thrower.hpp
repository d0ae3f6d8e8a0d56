// A stand-in for the layers to come (image, slide, HDF5, LibTorch): a shared
// library built, as they will be, with hidden visibility, which throws the
// value types' exceptions from header-only code compiled into it.
#ifndef BIOPTIMUS_TESTS_SHARED_THROWER_HPP
#define BIOPTIMUS_TESTS_SHARED_THROWER_HPP

#define BIOPTIMUS_TEST_THROWER_API __attribute__((visibility("default")))

namespace bioptimus::test {

/// The microns per pixel of `MPP{microns_per_pixel}`, built at run time
/// inside the library: throws ValidationError for a value <= 0.
BIOPTIMUS_TEST_THROWER_API double checked_mpp(double microns_per_pixel);

}  // namespace bioptimus::test

#endif  // BIOPTIMUS_TESTS_SHARED_THROWER_HPP
