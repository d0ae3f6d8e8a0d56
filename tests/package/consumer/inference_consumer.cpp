// The inference and writers components from the installed package:
// bioptimus::inference (LibTorch inside) and bioptimus::writers link, and
// their errors arrive as ours.
#include <cstdio>

#include "bioptimus/bioptimus.hpp"
#include "bioptimus/inference/backbone.hpp"
#include "bioptimus/writers/prediction_writer.hpp"

int main() {
  using namespace bioptimus;
  const models::ModelSpec& spec = models::Registry::builtin().get(models::Models::h0_mini);
  try {
    const inference::Backbone backbone = inference::Backbone::load("missing.pt", spec);
  } catch (const inference::BackboneError& backbone_error) {
    try {
      const auto writer = writers::open_prediction_writer("absent/slide.h5", spec, {.name = "slide"},
                                                          {.format = writers::OutputFormat::hdf5});
    } catch (const writers::WriterError& writer_error) {
      std::printf("inference_consumer: %s; %s\n", backbone_error.what(), writer_error.what());
      return 0;
    }
  }
  return 1;
}
