from . import coda_import_wizard
