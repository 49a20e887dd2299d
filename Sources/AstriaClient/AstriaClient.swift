// The Astria client is built in the upload issue.
