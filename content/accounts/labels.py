"""Translatable names of console roles (gettext msgids).

The console renders them in the reader's language.
"""

from content.accounts.models import Role
from content.errors import N_

ROLE_LABELS = {
    Role.EDITOR: N_("Editor"),
    Role.PUBLISHER: N_("Publisher"),
    Role.ADMIN: N_("Administrator"),
    Role.BORDER_OFFICER: N_("Border officer"),
}
