// The two C++ files' shared way of turning a failure into the header's status plus a message.
// Internal to the target (not under include/): no C++ crosses the C header.
#ifndef CTUNEPREP_FACES_REPORT_HPP
#define CTUNEPREP_FACES_REPORT_HPP

#include "CTunePrepFaces.h"

#include <cstdio>
#include <exception>
#include <new>
#include <string>

namespace tuneprep_faces {

inline void say(CTunePrepFaces_report *report, const std::string &message) {
    if (report == nullptr) return;
    std::snprintf(report->message, CTunePrepFaces_MESSAGE_CAPACITY, "%s", message.c_str());
}

// dlib's and OpenCV's messages can run to several lines; the first says what went wrong.
inline std::string first_line(const std::string &text) {
    std::string line = text;
    auto end = line.find('\n');
    if (end != std::string::npos) line.resize(end);
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
    return line;
}

// Every entry point's exceptions, as a status and a message; `doing` names the work.
template <typename Work>
int guarded(CTunePrepFaces_report *report, const std::string &doing, int failure, Work work) {
    try {
        return work();
    } catch (const std::bad_alloc &) {
        say(report, "out of memory " + doing);
        return CTunePrepFaces_NO_MEMORY;
    } catch (const std::exception &e) {
        say(report, doing + ": " + first_line(e.what()));
        return failure;
    } catch (...) {
        say(report, doing + " failed");
        return failure;
    }
}

}  // namespace tuneprep_faces

#endif
