import pulumi
from filestore import Entry

store = pulumi.Config().require("store")
Entry("before-the-error", store, content="kept")


def check_answer(answer: int) -> None:
    if answer != 42:
        raise ValueError(f"the answer must be 42, not {answer}")


check_answer(41)
