// The file system type of an open file: Glibc's Swift module does not export <sys/vfs.h>.
#define _GNU_SOURCE
#include "CSluice.h"

#include <sys/vfs.h>

int sluice_file_system_type(int fd, uint64_t *type) {
    struct statfs info;
    if (fstatfs(fd, &info) != 0) {
        return -1;
    }
    *type = (uint64_t)(uint32_t)info.f_type;
    return 0;
}
