# nanoGPT config: GPT-2 on FineWeb on a single 12 GB card
# (the capacity case of ../shared/example-diagnoses/capacity-saturation-40m.txt, rebuilt as a config)
# lossdoc config-check reads this file with ast; it never runs it.

out_dir = 'out-fineweb'
eval_interval = 500
eval_iters = 200
log_interval = 10
always_save_checkpoint = True

wandb_log = False
wandb_project = 'fineweb'
wandb_run_name = 'gpt2-fineweb-12gb'

dataset = 'fineweb'

# Model (~125M parameters) – perfect for 12 GB VRAM
n_layer = 12
n_head = 12
n_embd = 384
dropout = 0.1
bias = False
block_size = 1024

# 16 batch * 32 grad accum * 1024 block = 524,288 tokens per iteration
batch_size = 16
gradient_accumulation_steps = 32

# 20,000 iterations, ~10B tokens
max_iters = 20000
lr_decay_iters = 20000
warmup_iters = 700
learning_rate = 6e-4
min_lr = 6e-5  # learning_rate / 10

weight_decay = 1e-1
grad_clip = 1.0
compile = True
