#include <cstdio>

#include "bioptimus/bioptimus.hpp"

int main() {
  using namespace bioptimus::models;
  const ModelSpec& spec = Registry::builtin().get(Models::h0_mini);
  std::printf("consumer: %s, %lld tokens, bioptimus %s\n", spec.identity().c_str(),
              static_cast<long long>(spec.sequence_length().value_or(0)), bioptimus::version.data());
  return spec.sequence_length() == 261 ? 0 : 1;
}
