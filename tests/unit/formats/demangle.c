/* Demangling: the expected texts are what llvm-symbolizer/llvm-cxxfilt 14 print for the same
 * names (checked by hand against both tools). */
#include "formats/demangle.h"

#include "formats/arena.h"
#include "test.h"

#include <stdlib.h>

typedef struct {
    const char *mangled;
    const char *expected; /* NULL: not demangled, printed as it is */
} demangle_case;

static const demangle_case cases[] = {
    /* C names and other non-mangled names */
    {"main", NULL},
    {"main.cold", NULL},
    {"_start", NULL},
    {"_Z", NULL},
    {"", NULL},
    {"_Zfoo", NULL},
    /* plain C++ */
    {"_Z3foov", "foo()"},
    {"_Z6helperi", "helper(int)"},
    {"_ZN3foo3barEv", "foo::bar()"},
    {"_ZNSt6vectorIiSaIiEE9push_backERKi",
     "std::vector<int, std::allocator<int> >::push_back(int const&)"},
    {"_ZNSsC1Ev", "std::basic_string<char, std::char_traits<char>, std::allocator<char> >::"
                  "basic_string()"},
    {"_ZN1AIN1BIiEEE1fEv", "A<B<int> >::f()"},
    {"_ZN12_GLOBAL__N_13fooEv", "(anonymous namespace)::foo()"},
    {"_Z1fDn", "f(std::nullptr_t)"},
    {"_ZNK3FooUt_3barEv", "Foo::'unnamed'::bar() const"},
    {"_ZNK3FooUt0_3barEv", "Foo::'unnamed0'::bar() const"},
    /* templates with return types, operators */
    {"_ZNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEE12_M_constructIPKcEEvT_S8_"
     "St20forward_iterator_tag",
     "void std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >::"
     "_M_construct<char const*>(char const*, char const*, std::forward_iterator_tag)"},
    {"_ZN4llvmlsINS_10BasicBlockEEERNS_11raw_ostreamES3_PKNS_15DomTreeNodeBaseIT_EE",
     "llvm::raw_ostream& llvm::operator<<<llvm::BasicBlock>(llvm::raw_ostream&, "
     "llvm::DomTreeNodeBase<llvm::BasicBlock> const*)"},
    {"_ZN4llvm7remarksltINS0_14RemarkLocationEEEbRKNS_8OptionalIT_EES7_",
     "bool llvm::remarks::operator<<llvm::remarks::RemarkLocation>(llvm::Optional<llvm::"
     "remarks::RemarkLocation> const&, llvm::Optional<llvm::remarks::RemarkLocation> const&)"},
    {"_ZN3FoorsEi", "Foo::operator>>(int)"},
    {"_ZN4llvm11PassBuilder15parseModulePassERNS_11PassManagerINS_6ModuleENS_15AnalysisManagerIS2_"
     "JEEEJEEERKNS0_15PipelineElementE",
     "llvm::PassBuilder::parseModulePass(llvm::PassManager<llvm::Module, llvm::AnalysisManager<"
     "llvm::Module> >&, llvm::PassBuilder::PipelineElement const&)"},
    /* lambdas */
    {"_ZZ4mainENKUlvE_clEv", "main::'lambda'()::operator()() const"},
    {"_ZZ4mainENKUlvE0_clEv", "main::'lambda0'()::operator()() const"},
    {"_ZZ4mainENKUliE1_clEi", "main::'lambda1'(int)::operator()(int) const"},
    /* clone suffixes: LLVM prints everything after the encoding in parentheses */
    {"_Z3foov.cold", "foo() (.cold)"},
    {"_Z3foov.isra.0", "foo() (.isra.0)"},
    {"_Z3foov.isra.0.cold", "foo() (.isra.0.cold)"},
    {"_ZL6helperii.constprop.0", "helper(int, int) (.constprop.0)"},
    {"_Z3foov.lto_priv.0", "foo() (.lto_priv.0)"},
    {"_Z3foov.llvm.12345", "foo() (.llvm.12345)"},
    {"_Z3foov.123weird", "foo() (.123weird)"},
    /* Rust: legacy names stay Itanium (hash and $-escapes kept), v0 names are demangled */
    {"_ZN4core3fmt5write17h0123456789abcdefE", "core::fmt::write::h0123456789abcdef"},
    {"_ZN4core3ptr85drop_in_place$LT$std..rt..lang_start$LT$$LP$$RP$$GT$..$u7b$$u7b$closure$u7d$"
     "$u7d$$GT$17h0123456789abcdefE",
     "core::ptr::drop_in_place$LT$std..rt..lang_start$LT$$LP$$RP$$GT$..$u7b$$u7b$closure$u7d$$u7d"
     "$$GT$::h0123456789abcdef"},
    {"_RNvCs1234_7mycrate3foo", "mycrate::foo"},
    {"_RNvMs_NtCslNYArtu3iFV_5alloc3vecINtB4_3VechE3lenB6_", "<alloc::vec::Vec<u8>>::len"},
    /* legacy Rust with a suffix: the ".." escapes are no suffix boundary */
    {"_ZN4core3ptr88drop_in_place$LT$alloc..vec..Vec$LT$alloc..boxed..Box$LT$dyn$u20$main..Shape"
     "$GT$$GT$$GT$17hf52b129b6e8959e8E.llvm.13097228836896986209",
     "core::ptr::drop_in_place$LT$alloc..vec..Vec$LT$alloc..boxed..Box$LT$dyn$u20$main..Shape$GT$"
     "$GT$$GT$::hf52b129b6e8959e8 (.llvm.13097228836896986209)"},
    /* generic lambdas: LLVM reads the lambda's T_ as "auto", also where substitutions refer to it
     */
    {"_ZN9__gnu_cxx5__ops16__iter_comp_iterIZN4text9top_wordsEiEUlRKT_RKT0_E_EENS0_15_Iter_comp_"
     "iterIS3_EES3_",
     "__gnu_cxx::__ops::_Iter_comp_iter<auto> __gnu_cxx::__ops::__iter_comp_iter<text::top_words("
     "int)::'lambda'(auto const&, auto const&)>(auto)"},
    /* inheriting constructors are named after their own class (C1, C2 and GCC's unified C4) */
    {"_ZNSt15__uniq_ptr_dataIN3geo6CircleESt14default_deleteIS1_ELb1ELb1EECI4St15__uniq_ptr_"
     "implIS1_"
     "S3_EEPS1_",
     "std::__uniq_ptr_data<geo::Circle, std::default_delete<geo::Circle>, true, true>::"
     "__uniq_ptr_data(geo::Circle*)"},
    {"_ZNSt15__uniq_ptr_dataIN3geo5ShapeESt14default_deleteIS1_ELb1ELb1EECI2St15__uniq_ptr_implIS1_"
     "S3_EIS2_INS0_7PolygonEEEEPS1_OT_",
     "std::__uniq_ptr_data<geo::Shape, std::default_delete<geo::Shape>, true, "
     "true>::__uniq_ptr_data<"
     "std::default_delete<geo::Polygon> >(geo::Shape*, std::default_delete<geo::Polygon>&&)"},
    /* local names: LLVM keeps the enclosing function's return type */
    {"_ZZNSt8__detail18__to_chars_10_implImEEvPcjT_E8__digits",
     "void std::__detail::__to_chars_10_impl<unsigned long>(char*, unsigned int, unsigned long)::"
     "__digits"},
    {"_ZZNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEE12_M_constructIPKcEEvT_S8_St20forward_"
     "iterator_tagEN6_GuardD2Ev",
     "void std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >::"
     "_M_construct<char const*>(char const*, char const*, std::forward_iterator_tag)::_Guard::"
     "~_Guard()"},
    {"_ZZ4mainE5count", "main::count"},
    /* a member function returning a reference to a function pointer: qualifier at the end */
    {"_ZNKSt9_Any_data9_M_accessIPFiiEEERKT_v",
     "int (* const&std::_Any_data::_M_access<int (*)(int)>())(int) const"},
    /* transactional-memory clones: LLVM 14 leaves them mangled */
    {"_ZGTtNKSt11logic_error4whatEv", NULL},
    /* broken */
    {"_ZN3foo", NULL},
    {"_Z3foo", "foo"}, /* a variable's encoding */
};

TEST(table)
{
    uv_arena *arena = NULL;
    CHECK_INT(uv_arena_new(&arena), 0);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const demangle_case *c = &cases[i];
        const char *got = uv_demangle(c->mangled, strlen(c->mangled), arena);
        if (!c->expected) {
            if (got) fprintf(stderr, "case %zu (%s): got \"%s\"\n", i, c->mangled, got);
            CHECK(got == NULL);
        } else {
            CHECK_STR(got, c->expected);
        }
    }
    uv_arena_free(arena);
}

TEST(length_is_respected)
{
    uv_arena *arena = NULL;
    CHECK_INT(uv_arena_new(&arena), 0);
    /* only the first len bytes count: "_Z3foov" out of a longer buffer */
    const char *buf = "_Z3foovGARBAGE";
    CHECK_STR(uv_demangle(buf, 7, arena), "foo()");
    /* an embedded NUL is not a mangled name */
    CHECK(uv_demangle("_Z3foov\0x", 9, arena) == NULL);
    /* very long names are left as they are */
    size_t n = 70000;
    char *big = malloc(n);
    memset(big, 'a', n);
    memcpy(big, "_Z3foov", 7);
    CHECK(uv_demangle(big, n, arena) == NULL);
    /* a pathological nesting does not crash */
    size_t m = 3000;
    char *deep = malloc(m * 2 + 8);
    size_t k = 0;
    memcpy(deep, "_Z1f", 4);
    k = 4;
    for (size_t i = 0; i < m; i++)
        deep[k++] = 'P';
    deep[k++] = 'i';
    deep[k] = '\0';
    const char *d = uv_demangle(deep, k, arena);
    (void)d; /* libiberty's recursion limit may refuse it; either answer is fine */
    free(big);
    free(deep);
    uv_arena_free(arena);
}

int main(void)
{
    RUN(table);
    RUN(length_is_respected);
    TEST_MAIN_END();
}
