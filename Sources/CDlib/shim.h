// dlib is C++ only: this module exists so that SwiftPM adds dlib's pkg-config flags (headers,
// libdlib and the BLAS/LAPACK it links) to CTunePrepFaces. Swift sees nothing from it.
#ifndef CDLIB_SHIM_H
#define CDLIB_SHIM_H
#endif
