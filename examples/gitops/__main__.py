"""The stacks' resources, from their config (stacks/Pulumi.<stack>.yaml): nothing else here."""

from pulumi_vast.stack import main

main()
