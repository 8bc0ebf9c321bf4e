"""Front-door pages, one module per audience; each module exports `urlpatterns`."""
