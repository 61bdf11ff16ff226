"""Copy files off an instance before it goes: over SFTP, into a local folder and/or S3.

`copy_off` does the copying and reports what it could not save; the `save` policy of an
instance (`pulumi_vast.resources._saving`) decides whether the destroy may go on.
"""

from pulumi_vast.saving.copy import Miss, SaveOutcome, copy_off, mirrored
from pulumi_vast.saving.s3 import S3Failed, S3Place, upload_folder

__all__ = ["Miss", "S3Failed", "S3Place", "SaveOutcome", "copy_off", "mirrored", "upload_folder"]
