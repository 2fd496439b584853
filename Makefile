# fcgitool - one non-recursive GNU Makefile.
#
#   make              build fcgitool/fcgitool (optimised, no sanitizers)
#   make check        build under ASan+UBSan with -Werror and run every test
#   make demo         build and show fcgitool at work
#   make fuzz         build the libFuzzer targets and run each for FUZZ_SECONDS
#   make bench        run the benchmarks (never part of check)
#   make lint         clang-format, mandoc -Tlint, shellcheck, banned functions
#   make install      PREFIX=/usr/local DESTDIR=
#
# Objects go to build/$(VARIANT)/: "release" for make, "check" for make
# check (sanitizers on), "fuzz" for the fuzzers, so the three never mix.

VARIANT ?= release
B := build/$(VARIANT)

CC ?= cc
PKG_CONFIG ?= pkg-config
PREFIX ?= /usr/local
DESTDIR ?=
WERROR ?= 1
SANITIZE ?=
FUZZ_SECONDS ?= 30
V ?= 0

# Any variant named check* builds with the sanitizers (make check uses
# "check"; a developer may use check-NAME to keep a private tree).
ifneq ($(filter check%,$(VARIANT)),)
SANITIZE := address,undefined
endif

PKGS := libuv libpcap libcjson readline
PKG_CFLAGS := $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)

WARN := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wold-style-definition -Wpointer-arith \
	-Wwrite-strings -Wvla -Wformat=2 -Wcast-qual -Wundef \
	-Wimplicit-fallthrough -Wdeclaration-after-statement -fno-common
STRICT_WARN := -Wconversion -Wsign-conversion
ifeq ($(WERROR),1)
WARN += -Werror
endif

OPT := -O2 -g
ifneq ($(SANITIZE),)
OPT := -O1 -g -fsanitize=$(SANITIZE) -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
endif

BASE_CPPFLAGS := -D_GNU_SOURCE -Ilib/pure -Ilib/driven -Imock -Ipcap -Ifcgitool
ALL_CFLAGS = -std=c11 $(OPT) $(WARN) $(BASE_CPPFLAGS) $(PKG_CFLAGS) \
	$(CPPFLAGS) $(CFLAGS) -MMD -MP
ALL_LDFLAGS = $(OPT) $(LDFLAGS)

ifeq ($(V),1)
Q :=
quiet = @:
else
Q := @
quiet = @printf '  %-6s %s\n'
endif

PURE_SRC := $(sort $(wildcard lib/pure/*.c))
DRIVEN_SRC := $(sort $(wildcard lib/driven/*.c))
LIB_SRC := $(PURE_SRC) $(DRIVEN_SRC)
MOCK_SRC := $(sort $(wildcard mock/*.c))
CAP_SRC := $(sort $(wildcard pcap/*.c))
TOOL_SRC := $(sort $(wildcard fcgitool/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/test-*.c))
UNIT_HELP := $(filter-out $(UNIT_SRC),$(wildcard tests/unit/*.c))
FUZZ_SRC := $(sort $(wildcard tests/fuzz/fuzz-*.c))
EX_SRC := $(sort $(wildcard examples/*.c))
BENCH_SRC := $(sort $(wildcard bench/*.c))
HELPER_SRC := $(sort $(wildcard tests/helpers/*.c))

PURE_OBJ := $(PURE_SRC:%.c=$(B)/%.o)
LIB_OBJ := $(LIB_SRC:%.c=$(B)/%.o)
MOCK_OBJ := $(MOCK_SRC:%.c=$(B)/%.o)
CAP_OBJ := $(CAP_SRC:%.c=$(B)/%.o)
TOOL_OBJ := $(TOOL_SRC:%.c=$(B)/%.o)
UNIT_HELP_OBJ := $(UNIT_HELP:%.c=$(B)/%.o)

PUREA := $(B)/lib/libfcgitool-pure.a
LIBA := $(B)/lib/libfcgitool.a
MOCKA := $(B)/mock/libmock.a
CAPA := $(B)/pcap/libcapture.a
TOOL := $(B)/fcgitool/fcgitool
UNIT_BIN := $(UNIT_SRC:%.c=$(B)/%)
EX_SO := $(EX_SRC:%.c=$(B)/%.so)
BENCH_BIN := $(BENCH_SRC:%.c=$(B)/%)
HELPER_BIN := $(HELPER_SRC:%.c=$(B)/%)
ARCHIVES := $(if $(MOCK_OBJ),$(MOCKA)) $(if $(CAP_OBJ),$(CAPA)) $(LIBA)
LIBS := $(ARCHIVES) $(PKG_LIBS) -ldl -lm

.PHONY: all build check check-build test demo fuzz fuzz-build fuzz-smoke \
	bench lint install uninstall clean deps check-deps valgrind

all: fcgitool/fcgitool

fcgitool/fcgitool: $(TOOL)
	$(Q)cp $< $@

build: $(TOOL) $(EX_SO) $(HELPER_BIN)

# Strict conversion warnings where silent truncation hurts.
$(B)/lib/%.o $(B)/mock/%.o $(B)/pcap/%.o: private CFLAGS += $(STRICT_WARN)

$(B)/%.o: %.c
	$(quiet) CC $<
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBA): $(LIB_OBJ)
	$(quiet) AR $@
	@rm -f $@
	$(Q)ar rcs $@ $^
# The pure half alone, for programs that only decode (fuzzers, pcap).
$(PUREA): $(PURE_OBJ)
	$(quiet) AR $@
	@rm -f $@
	$(Q)ar rcs $@ $^
$(MOCKA): $(MOCK_OBJ)
	$(quiet) AR $@
	@rm -f $@
	$(Q)ar rcs $@ $^
$(CAPA): $(CAP_OBJ)
	$(quiet) AR $@
	@rm -f $@
	$(Q)ar rcs $@ $^

$(TOOL): $(TOOL_OBJ) $(ARCHIVES)
	$(quiet) LD $@
	$(Q)$(CC) $(ALL_LDFLAGS) -rdynamic -o $@ $(TOOL_OBJ) $(LIBS)

$(B)/tests/unit/test-%: $(B)/tests/unit/test-%.o $(UNIT_HELP_OBJ) $(ARCHIVES)
	$(quiet) LD $@
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(UNIT_HELP_OBJ) $(LIBS) \
		$(CMOCKA_LIBS)

# Example responders for serve --fn: shared objects.
$(B)/examples/%.so: examples/%.c lib/pure/fcgi.h lib/driven/fcgi-uv.h
	$(quiet) CC $@
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -fPIC -shared -o $@ $<

# Test helpers (fake peers and the like), linked with the library.
$(B)/tests/helpers/%: $(B)/tests/helpers/%.o $(ARCHIVES)
	$(quiet) LD $@
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBS)

$(B)/bench/%: $(B)/bench/%.o $(ARCHIVES)
	$(quiet) LD $@
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(LIBS)

# ---- tests -------------------------------------------------------------

deps:
	@sh tests/deps.sh

check:
	@sh tests/deps.sh
	$(Q)$(MAKE) --no-print-directory VARIANT=check check-build
	$(Q)$(MAKE) --no-print-directory VARIANT=check check-deps
	@FCGITOOL=$(CURDIR)/build/check/fcgitool/fcgitool \
	  BUILD=$(CURDIR)/build/check sh tests/run.sh

check-build: $(TOOL) $(UNIT_BIN) $(EX_SO) $(HELPER_BIN) $(PUREA)

# The layering rules (DESIGN.md), checked on the objects' undefined
# symbols: the pure half does no I/O, reads no clock or environment and
# needs no libuv; libpcap belongs to pcap/, readline to the shell.
check-deps: $(PURE_OBJ) $(LIB_OBJ) $(MOCK_OBJ) $(CAP_OBJ) $(TOOL_OBJ)
	@sh tests/check-deps.sh "$(B)"

valgrind:
	$(Q)$(MAKE) --no-print-directory VARIANT=valgrind check-build
	@VALGRIND=1 FCGITOOL=$(CURDIR)/build/valgrind/fcgitool/fcgitool \
	  BUILD=$(CURDIR)/build/valgrind sh tests/run.sh unit

demo:
	@sh tests/deps.sh
	$(Q)$(MAKE) --no-print-directory all
	@sh tests/demo.sh

# ---- fuzzing -----------------------------------------------------------

FUZZ_CC ?= clang
FUZZ_FLAGS := -std=c11 -g -O1 -fsanitize=fuzzer-no-link,address,undefined \
	-fno-sanitize-recover=all $(BASE_CPPFLAGS) $(PKG_CFLAGS) -MMD -MP
FUZZ_LIB_OBJ := $(PURE_SRC:%.c=build/fuzz/%.o)
FUZZ_BIN := $(FUZZ_SRC:%.c=build/fuzz/%)

build/fuzz/%.o: %.c
	$(quiet) FUZZCC $<
	@mkdir -p $(@D)
	$(Q)$(FUZZ_CC) $(FUZZ_FLAGS) -c -o $@ $<

build/fuzz/tests/fuzz/fuzz-%: build/fuzz/tests/fuzz/fuzz-%.o $(FUZZ_LIB_OBJ)
	$(quiet) LD $@
	$(Q)$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $@ $^ \
		$(PKG_LIBS) -ldl -lm

fuzz-build: $(FUZZ_BIN)

fuzz: fuzz-build
	@sh tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BIN)

fuzz-smoke: fuzz-build
	@sh tests/fuzz/run.sh 30 $(FUZZ_BIN)

# ---- benchmarks ----------------------------------------------------------

bench:
	@sh tests/deps.sh
	$(Q)$(MAKE) --no-print-directory all $(BENCH_BIN) build
	@sh bench/run.sh

# ---- lint ----------------------------------------------------------------

lint:
	@sh tests/lint.sh

# ---- install -------------------------------------------------------------

MAN1 := $(wildcard man/*.1)
MAN3 := $(wildcard man/*.3)
MAN5 := $(wildcard man/*.5)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/man/man3 $(DESTDIR)$(PREFIX)/share/man/man5 \
	  $(DESTDIR)$(PREFIX)/include
	install -m 755 fcgitool/fcgitool $(DESTDIR)$(PREFIX)/bin/fcgitool
	install -m 644 lib/pure/fcgi.h lib/driven/fcgi-uv.h $(DESTDIR)$(PREFIX)/include/
	$(if $(MAN1),install -m 644 $(MAN1) $(DESTDIR)$(PREFIX)/share/man/man1)
	$(if $(MAN3),install -m 644 $(MAN3) $(DESTDIR)$(PREFIX)/share/man/man3)
	$(if $(MAN5),install -m 644 $(MAN5) $(DESTDIR)$(PREFIX)/share/man/man5)

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/fcgitool $(DESTDIR)$(PREFIX)/include/fcgi.h $(DESTDIR)$(PREFIX)/include/fcgi-uv.h
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/share/man/man1/,$(notdir $(MAN1)))
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/share/man/man3/,$(notdir $(MAN3)))
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/share/man/man5/,$(notdir $(MAN5)))

clean:
	rm -rf build fcgitool/fcgitool

.SECONDARY:

-include $(shell find build -name '*.d' 2>/dev/null)
