"""The default theme: installed as archivegen._theme from the repository's templates/."""
