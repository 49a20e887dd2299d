// The local Astria-compatible server is built in the serve-mock issue.
