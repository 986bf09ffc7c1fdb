# tests/tools/Makefile.frag — test-corpus generator, included by the top-level
# Makefile (which defines BUILD, CC and CFLAGS).  Single file, libc only.
$(BUILD)/gencorpus: tests/tools/gencorpus.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $<
