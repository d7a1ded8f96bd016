// Marks one version-needed entry (e.g. GLIBCXX_3.4.32) of an ELF64 shared library as weak (VER_FLG_WEAK), so the
// dynamic loader no longer refuses the library when the system libstdc++ lacks that version. The symbols bound to
// that version must then come from elsewhere (our ios_base_library_init shim, loaded RTLD_GLOBAL first).
// Usage: weaken_version_need LIBRARY VERSION     exit 0 = patched or already weak, 1 = error, 2 = version not needed.
#include <elf.h>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    if (argc != 3) { std::fprintf(stderr, "usage: %s LIBRARY VERSION\n", argv[0]); return 1; }
    std::ifstream in(argv[1], std::ios::binary);
    std::vector<unsigned char> b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (b.size() < sizeof(Elf64_Ehdr) || std::memcmp(b.data(), ELFMAG, SELFMAG) != 0 || b[EI_CLASS] != ELFCLASS64) {
        std::fprintf(stderr, "%s: not an ELF64 file\n", argv[1]); return 1;
    }
    auto* eh = reinterpret_cast<Elf64_Ehdr*>(b.data());
    auto* sh = reinterpret_cast<Elf64_Shdr*>(b.data() + eh->e_shoff);
    for (int i = 0; i < eh->e_shnum; ++i) {
        if (sh[i].sh_type != SHT_GNU_verneed) continue;
        const char* strtab = reinterpret_cast<const char*>(b.data() + sh[sh[i].sh_link].sh_offset);
        size_t off = sh[i].sh_offset;
        for (;;) {
            auto* vn = reinterpret_cast<Elf64_Verneed*>(b.data() + off);
            size_t aoff = off + vn->vn_aux;
            for (int k = 0; k < vn->vn_cnt; ++k) {
                auto* va = reinterpret_cast<Elf64_Vernaux*>(b.data() + aoff);
                if (std::strcmp(strtab + va->vna_name, argv[2]) == 0) {
                    if (va->vna_flags & VER_FLG_WEAK) return 0;
                    va->vna_flags |= VER_FLG_WEAK;
                    std::string tmp = std::string(argv[1]) + ".weaken.tmp";
                    std::ofstream out(tmp, std::ios::binary);
                    out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
                    out.close();
                    if (!out || std::rename(tmp.c_str(), argv[1]) != 0) { std::perror("write"); return 1; }
                    return 0;
                }
                if (va->vna_next == 0) break;
                aoff += va->vna_next;
            }
            if (vn->vn_next == 0) break;
            off += vn->vn_next;
        }
    }
    return 2;
}
