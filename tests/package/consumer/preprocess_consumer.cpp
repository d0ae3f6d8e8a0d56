// The README's five lines: a region in, the model's input out.
#include <cstdio>
#include <vector>

#include "bioptimus/bioptimus.hpp"
#include "bioptimus/models/preprocess.hpp"

int main() {
  std::vector<std::uint8_t> pixels(448 * 448 * 3, 200);
  const bioptimus::image::ImageView region{.data = pixels.data(),
                                           .width = 448,
                                           .height = 448,
                                           .stride_bytes = 448 * 3,
                                           .format = bioptimus::image::PixelFormat::rgb8};

  const auto& spec = bioptimus::models::Registry::builtin().get(bioptimus::models::Models::h0_mini);
  const bioptimus::models::Preprocessor preprocess(spec);
  std::vector<float> input(static_cast<std::size_t>(preprocess.output_elements()));
  preprocess(region, input);

  std::printf("preprocess_consumer: (3, 224, 224) first value %.6f\n", static_cast<double>(input[0]));
  return input.size() == 3 * 224 * 224 ? 0 : 1;
}
