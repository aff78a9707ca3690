from . import coda_import_wizard
from . import codabox_connection_wizard
from . import codabox_invoicing_software_wizard
