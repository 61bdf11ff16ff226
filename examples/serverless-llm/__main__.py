"""An LLM behind a serverless endpoint: vLLM workers that Vast's Serverless Engine recruits
as the load rises and releases when it falls.

How to run it: README.md in this folder.
"""

import pulumi

import pulumi_vast as vast

vllm = vast.Template(
    "vllm",
    image="vllm/vllm-openai",
    tag="v0.6.3",
    env={"MODEL": "Qwen/Qwen2.5-0.5B-Instruct", "VLLM_PORT": "8000"},
    ports=[8000],
    disk_gb=40,
)
llm = vast.ServerlessEndpoint(
    "llm",
    cold_workers=1,  # one loaded worker kept stopped, ready to start when requests come
    max_workers=4,
    target_util=0.8,
    inactivity_timeout=60,  # back down to the cold worker after a minute without load
)
workers = vast.WorkerGroup(
    "llm-workers",
    endpoint=llm,
    template=vllm,
    query=vast.Query.where(vast.F.gpu_ram >= 24, vast.F.num_gpus == 1, vast.F.dph <= 1.0),
    test_workers=1,
)

pulumi.export("endpoint", llm.name)
pulumi.export("endpoint_id", llm.endpoint_id)
pulumi.export("route_url", llm.route_url)
pulumi.export("worker_count", workers.worker_count)
pulumi.export("workers", workers.workers)
