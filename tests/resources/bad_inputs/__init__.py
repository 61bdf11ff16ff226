"""The bad-input table: every way a user can get an input wrong, and what they must read.

One module per place inputs are declared (`instance`, `ssh_key`, `templates`, `env_vars`,
`volumes` for volumes and network volumes, `serverless` for endpoints, worker groups and
deployments, `settings` for `vast:` provider settings and the
program's own keys); a new resource adds its module here.
"""

from tests.resources.bad_inputs import (
    env_vars,
    instance,
    serverless,
    settings,
    ssh_key,
    templates,
    volumes,
)
from tests.resources.bad_inputs.rows import Bad

__all__ = ["ROWS"]

ROWS: list[Bad] = [
    *instance.ROWS,
    *ssh_key.ROWS,
    *templates.ROWS,
    *env_vars.ROWS,
    *volumes.ROWS,
    *serverless.ROWS,
    *settings.ROWS,
]
