#include "CTunePrepCurl.h"
