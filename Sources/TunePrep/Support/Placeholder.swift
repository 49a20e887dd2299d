enum TunePrepPlaceholder {}
