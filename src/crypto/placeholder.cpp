// crypto library sources are added as they land.
