"""`Task`: what a job needs, from which an instance's offer is chosen by total cost."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from pulumi_vast.market.task import REFERENCE_GPU, Requirements
from pulumi_vast.resources._fields import STATE, Input, ResourceArgs, known
from pulumi_vast.resources._problems import InvalidField

__all__ = ["Task"]

Precision = Literal["fp32", "fp16", "bf16", "int8", "int4"]
Positive = Annotated[float, Field(gt=0)]


class Task(ResourceArgs):
    """A job to rent a GPU for: the offer is the one with the lowest estimated total cost."""

    params_b: Annotated[
        Input[Positive] | None,
        STATE,
        Field(
            description="Model size in billions of parameters; with `precision` it gives "
            "the VRAM needed (weights + 20 % headroom) and the checkpoint's disk.",
            examples=[7],
        ),
    ] = None
    precision: Annotated[
        Input[Precision],
        STATE,
        Field(description="`fp32`, `fp16`, `bf16`, `int8` or `int4`: bytes per parameter."),
    ] = "fp16"
    min_vram_gb: Annotated[
        Input[Positive] | None,
        STATE,
        Field(description="VRAM needed in all, in GB, instead of deriving it from `params_b`."),
    ] = None
    hours: Annotated[
        Input[Annotated[float, Field(gt=0, le=24 * 365)]],
        STATE,
        Field(
            description=f"Estimated hours on one {REFERENCE_GPU}; scaled for each offer by "
            "its DLPerf.",
            examples=[10],
        ),
    ]
    disk_gb: Annotated[
        Input[Positive] | None,
        STATE,
        Field(description="Disk in GB (default: 20 + the checkpoint, at least 50)."),
    ] = None
    cuda: Annotated[
        Input[Positive], STATE, Field(description="Lowest CUDA version the job runs on.")
    ] = 12.1
    num_gpus: Annotated[
        Input[Annotated[int, Field(ge=1, le=16)]],
        STATE,
        Field(description="GPUs per machine; the VRAM is split across them."),
    ] = 1

    @model_validator(mode="after")
    def _sized(self) -> Task:
        if self.params_b is None and self.min_vram_gb is None:
            raise InvalidField(
                "params_b",
                "is needed to size the GPU: the model's billions of parameters (e.g. 7), "
                "or set min_vram_gb, the VRAM it needs in GB",
            )
        return self

    def requirements(self) -> Requirements:
        """What it needs of an offer (resolved inputs only)."""
        return Requirements.of(
            hours=float(known(self.hours)),
            params_b=known(self.params_b),
            precision=known(self.precision),
            min_vram_gb=known(self.min_vram_gb),
            num_gpus=int(known(self.num_gpus)),
            disk_gb=known(self.disk_gb),
            cuda=float(known(self.cuda)),
        )
