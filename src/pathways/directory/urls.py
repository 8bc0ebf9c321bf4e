from .views import imports, manage

app_name = "directory"

urlpatterns = [*manage.urlpatterns, *imports.urlpatterns]
