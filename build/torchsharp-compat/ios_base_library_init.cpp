// Defines std::ios_base_library_init(), the one GLIBCXX_3.4.32 (GCC 13) symbol that TorchSharp 0.107's
// libLibTorchSharp.so needs. GCC 13 emits a reference to it from <iostream> so that the standard streams are
// initialised; on older libstdc++ (Debian 12: 3.4.30) constructing an ios_base::Init does the same job.
#include <ios>

namespace std {
void ios_base_library_init() {
    static ios_base::Init init;
}
}  // namespace std
