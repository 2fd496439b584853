# fcgitool - one non-recursive GNU Makefile.
#
#   make              build fcgitool/fcgitool (optimised, no sanitizers)
#   make check        build under ASan+UBSan with -Werror and run every test
#   make demo         build and show fcgitool at work
#   make fuzz         build the libFuzzer targets and run each for FUZZ_SECONDS
#   make bench        run the benchmarks (never part of check)
#   make lint         clang-format, mandoc -Tlint, shellcheck, banned functions
#   make install      PREFIX=/usr/local DESTDIR= (also BINDIR LIBDIR
#                     INCLUDEDIR MANDIR PKGCONFIGDIR BASHCOMPDIR ZSHCOMPDIR
#                     FISHCOMPDIR); make uninstall
#
# Objects go to build/$(VARIANT)/: "release" for make, "check" for make
# check (sanitizers on), "fuzz" for the fuzzers, so the three never mix.

VARIANT ?= release
B := build/$(VARIANT)

# The library's version; its soname changes with the major number.
VERSION := 0.1.0
SOVERSION := 0

CC ?= cc
PKG_CONFIG ?= pkg-config
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/vendor-completions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d
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
	$(OBJ_CFLAGS) $(CPPFLAGS) $(CFLAGS) -MMD -MP
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
COMPLETIONS := $(B)/completion/fcgitool.bash $(B)/completion/_fcgitool \
	$(B)/completion/fcgitool.fish
SONAME := libfcgitool.so.$(SOVERSION)
SOLIB := $(B)/lib/libfcgitool.so.$(VERSION)
SOMAP := $(B)/lib/libfcgitool.map
PUB_H := lib/pure/fcgi.h lib/driven/fcgi-uv.h
# What the library itself links: libuv only (check-deps keeps libpcap,
# readline and cJSON out of lib/).
LIB_PKG_LIBS := $(shell $(PKG_CONFIG) --libs libuv 2>/dev/null)
ARCHIVES := $(if $(MOCK_OBJ),$(MOCKA)) $(if $(CAP_OBJ),$(CAPA)) $(LIBA)
LIBS := $(ARCHIVES) $(PKG_LIBS) -ldl -lm

.PHONY: FORCE all build check check-build test demo fuzz fuzz-build fuzz-smoke \
	bench lint install uninstall clean deps check-deps valgrind

all: fcgitool/fcgitool $(SOLIB) $(COMPLETIONS)

fcgitool/fcgitool: $(TOOL)
	$(Q)cp $< $@

build: $(TOOL) $(EX_SO) $(HELPER_BIN)

# Strict conversion warnings where silent truncation hurts.
$(B)/lib/%.o $(B)/mock/%.o $(B)/pcap/%.o: private CFLAGS += $(STRICT_WARN)

# Objects depend on the flags they are compiled with, as git's
# GIT-CFLAGS does: when the flags change (CFLAGS, -fPIC for lib/, a new
# warning), everything is rebuilt rather than old and new objects mixed.
CFLAGS_STAMP := $(B)/.cflags
CFLAGS_TEXT = $(CC) $(ALL_CFLAGS) | lib: $(LIB_CFLAGS) $(STRICT_WARN) | \
	$(VERSION)
$(CFLAGS_STAMP): FORCE
	@mkdir -p $(@D)
	@echo '$(subst ','"'"',$(CFLAGS_TEXT))' >$@.new
	@if cmp -s $@.new $@; then rm -f $@.new; else mv $@.new $@; fi
FORCE:

$(B)/%.o: %.c $(CFLAGS_STAMP)
	$(quiet) CC $<
	@mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The library's objects are position-independent, so that one compile
# serves both libfcgitool.a (the CLI links it) and libfcgitool.so.
LIB_CFLAGS := -fPIC
$(B)/lib/%.o: private OBJ_CFLAGS := $(LIB_CFLAGS)
# One version number: the library's and fcgitool --version's.
$(B)/fcgitool/main.o: private OBJ_CFLAGS := -DFCGITOOL_VERSION='"$(VERSION)"'

$(LIBA): $(LIB_OBJ)
	$(quiet) AR $@
	@rm -f $@
	$(Q)ar rcs $@ $^

# The shared library exports exactly the functions that the two public
# headers declare: the version script lists every fcgi_* name followed by
# "(" in the preprocessed headers, and everything else (fcgi_tok_*,
# helpers shared between files) stays local.  A function added to a
# header is exported without further ado; tests/cli/90-install.bats checks
# the result.
$(SOMAP): $(PUB_H) Makefile
	$(quiet) GEN $@
	@mkdir -p $(@D)
	$(Q){ echo 'LIBFCGITOOL_$(SOVERSION) {'; echo 'global:'; \
	  echo '#include "fcgi-uv.h"' | \
	  $(CC) -E -P $(BASE_CPPFLAGS) $(PKG_CFLAGS) -x c - | \
	  grep -oE '\<fcgi_[a-z0-9_]+[[:space:]]*\(' | \
	  sed 's/[[:space:]]*($$/;/; s/^/\t/' | sort -u; \
	  echo 'local:'; printf '\t*;\n'; echo '};'; } >$@.tmp
	$(Q)mv $@.tmp $@

$(SOLIB): $(LIB_OBJ) $(SOMAP)
	$(quiet) LD $@
	$(Q)$(CC) $(ALL_LDFLAGS) -shared -Wl,-soname,$(SONAME) \
		-Wl,--version-script=$(SOMAP) -Wl,-z,defs -o $@ $(LIB_OBJ) \
		$(LIB_PKG_LIBS) -ldl -lm
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

# Shell completion for bash, zsh and fish, made from what the program
# itself says (fcgitool -h, fcgitool CMD -h), the man pages and
# completion/values: see completion/gen.sh.
$(B)/completion/fcgitool.bash: completion/bash.in
$(B)/completion/_fcgitool: completion/zsh.in
$(B)/completion/fcgitool.fish: completion/fish.in
$(COMPLETIONS): completion/gen.sh completion/table.awk completion/values \
    $(TOOL) $(wildcard man/*.1)
	$(quiet) GEN $@
	@mkdir -p $(@D)
	$(Q)sh completion/gen.sh $(patsubst completion/%.in,%,$(filter \
	    completion/%.in,$^)) $(TOOL) >$@.tmp
	$(Q)mv $@.tmp $@

$(B)/tests/unit/test-%: $(B)/tests/unit/test-%.o $(UNIT_HELP_OBJ) $(ARCHIVES)
	$(quiet) LD $@
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(UNIT_HELP_OBJ) $(LIBS) \
		$(CMOCKA_LIBS)

# fcgitool conform's cases and judges are pure: its unit test and its
# fuzz target link them.
CONFORM_PURE_SRC := fcgitool/conform-script.c fcgitool/conform-judge.c \
	fcgitool/conform-list.c fcgitool/conform-client-cases.c \
	$(sort $(wildcard fcgitool/conform-cases*.c))
CONFORM_PURE_OBJ := $(CONFORM_PURE_SRC:%.c=$(B)/%.o)
$(B)/tests/unit/test-conform: $(B)/tests/unit/test-conform.o \
		$(CONFORM_PURE_OBJ) $(UNIT_HELP_OBJ) $(ARCHIVES)
	$(quiet) LD $@
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $< $(CONFORM_PURE_OBJ) $(UNIT_HELP_OBJ) \
		$(LIBS) $(CMOCKA_LIBS)

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

check-build: $(TOOL) $(UNIT_BIN) $(EX_SO) $(HELPER_BIN) $(PUREA) $(SOLIB) \
    $(COMPLETIONS)

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

# The mock script parser's target links the parser and the play builder.
MOCK_FUZZ_SRC := mock/script.c mock/jsonpos.c mock/match.c mock/play.c \
	mock/rng.c
build/fuzz/tests/fuzz/fuzz-mock: $(MOCK_FUZZ_SRC:%.c=build/fuzz/%.o)

build/fuzz/tests/fuzz/fuzz-conform: build/fuzz/tests/fuzz/fuzz-conform.o \
		$(CONFORM_PURE_SRC:%.c=build/fuzz/%.o) $(FUZZ_LIB_OBJ)
	$(quiet) LD $@
	$(Q)$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $@ $^ \
		$(PKG_LIBS) -ldl -lm

# fuzz-pcap also links libcapture's pure layers (not capture.c, which
# reads with libpcap, nor the pcapng writer).
FUZZ_CAP_OBJ := $(patsubst %.c,build/fuzz/%.o,$(filter-out \
	pcap/capture.c pcap/pcapng.c,$(CAP_SRC)))
build/fuzz/tests/fuzz/fuzz-pcap: build/fuzz/tests/fuzz/fuzz-pcap.o \
		$(FUZZ_CAP_OBJ) $(FUZZ_LIB_OBJ)
	$(quiet) LD $@
	$(Q)$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $@ $^ \
		$(PKG_LIBS) -ldl -lm

# The shell's word syntax is fcgitool's own, pure code.
build/fuzz/tests/fuzz/fuzz-shell-words: build/fuzz/fcgitool/shell-parse.o

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

# Installs the build of $(VARIANT) (release unless told otherwise):
#   BINDIR/fcgitool
#   LIBDIR/libfcgitool.a, libfcgitool.so.$(VERSION) and its two links
#   INCLUDEDIR/fcgitool/fcgi.h and fcgi-uv.h
#   PKGCONFIGDIR/libfcgitool.pc, made from libfcgitool.pc.in
#   MANDIR/man1, man3, man5: the pages in man/
#   BASHCOMPDIR/fcgitool, ZSHCOMPDIR/_fcgitool, FISHCOMPDIR/fcgitool.fish:
#   the shell completion, where bash-completion, zsh (Debian's
#   vendor-completions, in its default $fpath) and fish look for it
# The headers go into a directory of their own: their names are generic,
# libfcgi (the reference kit) owns the fcgi* names in /usr/include, and
# <fcgitool/fcgi-uv.h> says at the include site whose header it is.

MAN1 := $(wildcard man/*.1)
MAN3 := $(wildcard man/*.3)
MAN5 := $(wildcard man/*.5)
MAN7 := $(wildcard man/*.7)

# libdir and includedir relative to ${prefix} where they lie under it, so
# that pkg-config --define-variable=prefix=... can relocate the file.
pc_rel = $(patsubst $(PREFIX)/%,$${prefix}/%,$(1))

install: $(TOOL) $(LIBA) $(SOLIB) libfcgitool.pc.in $(COMPLETIONS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) \
	  $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(INCLUDEDIR)/fcgitool \
	  $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 \
	  $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man7 \
	  $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) \
	  $(DESTDIR)$(FISHCOMPDIR)
	install -m 755 $(TOOL) $(DESTDIR)$(BINDIR)/fcgitool
	install -m 644 $(LIBA) $(DESTDIR)$(LIBDIR)/libfcgitool.a
	install -m 755 $(SOLIB) $(DESTDIR)$(LIBDIR)/
	ln -sf $(notdir $(SOLIB)) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libfcgitool.so
	install -m 644 $(PUB_H) $(DESTDIR)$(INCLUDEDIR)/fcgitool/
	sed -e 's|@PREFIX@|$(PREFIX)|' \
	  -e 's|@LIBDIR@|$(call pc_rel,$(LIBDIR))|' \
	  -e 's|@INCLUDEDIR@|$(call pc_rel,$(INCLUDEDIR))|' \
	  -e 's|@VERSION@|$(VERSION)|' \
	  libfcgitool.pc.in >$(DESTDIR)$(PKGCONFIGDIR)/libfcgitool.pc
	chmod 644 $(DESTDIR)$(PKGCONFIGDIR)/libfcgitool.pc
	$(if $(MAN1),install -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1)
	$(if $(MAN3),install -m 644 $(MAN3) $(DESTDIR)$(MANDIR)/man3)
	$(if $(MAN5),install -m 644 $(MAN5) $(DESTDIR)$(MANDIR)/man5)
	$(if $(MAN7),install -m 644 $(MAN7) $(DESTDIR)$(MANDIR)/man7)
	install -m 644 $(B)/completion/fcgitool.bash \
	  $(DESTDIR)$(BASHCOMPDIR)/fcgitool
	install -m 644 $(B)/completion/_fcgitool $(DESTDIR)$(ZSHCOMPDIR)/_fcgitool
	install -m 644 $(B)/completion/fcgitool.fish \
	  $(DESTDIR)$(FISHCOMPDIR)/fcgitool.fish

# Removes what install put there, and the header directory if it is then
# empty; the standard directories stay.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/fcgitool
	rm -f $(addprefix $(DESTDIR)$(LIBDIR)/,libfcgitool.a \
	  libfcgitool.so libfcgitool.so.$(SOVERSION) \
	  libfcgitool.so.$(VERSION))
	rm -f $(DESTDIR)$(PKGCONFIGDIR)/libfcgitool.pc
	rm -f $(addprefix $(DESTDIR)$(INCLUDEDIR)/fcgitool/,$(notdir $(PUB_H)))
	[ ! -d $(DESTDIR)$(INCLUDEDIR)/fcgitool ] || \
	  rmdir $(DESTDIR)$(INCLUDEDIR)/fcgitool 2>/dev/null || true
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MAN1)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man3/,$(notdir $(MAN3)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(MAN5)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man7/,$(notdir $(MAN7)))
	rm -f $(DESTDIR)$(BASHCOMPDIR)/fcgitool \
	  $(DESTDIR)$(ZSHCOMPDIR)/_fcgitool \
	  $(DESTDIR)$(FISHCOMPDIR)/fcgitool.fish

clean:
	rm -rf build fcgitool/fcgitool

.SECONDARY:

-include $(shell find build -name '*.d' 2>/dev/null)
