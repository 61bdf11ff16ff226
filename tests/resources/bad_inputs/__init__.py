"""The bad-input table: every way a user can get an input wrong, and what they must read.

One module per place inputs are declared (`instance`, `ssh_key`, `settings` for `vast:`
provider settings and the program's own keys); a new resource adds its module here.
"""

from tests.resources.bad_inputs import instance, settings, ssh_key
from tests.resources.bad_inputs.rows import Bad

__all__ = ["ROWS"]

ROWS: list[Bad] = [*instance.ROWS, *ssh_key.ROWS, *settings.ROWS]
