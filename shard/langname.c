/*
 * langname.c - canonical language names and the file-extension table.
 * shard/ owns the names (records carry them); lang/ owns the grammars behind them.
 */
#include "sp_common.h"

#include <string.h>
#include <strings.h>

static const struct { const char *ext; const char *lang; } k_ext[] = {
    {"py", "python"},      {"pyi", "python"},     {"pyw", "python"},
    {"js", "javascript"},  {"mjs", "javascript"}, {"cjs", "javascript"},
    {"jsx", "javascript"}, {"ts", "typescript"},  {"mts", "typescript"},
    {"cts", "typescript"}, {"tsx", "tsx"},        {"java", "java"},
    {"c", "c"},            {"h", "c"},            {"cc", "cpp"},
    {"cpp", "cpp"},        {"cxx", "cpp"},        {"c++", "cpp"},
    {"hpp", "cpp"},        {"hh", "cpp"},         {"hxx", "cpp"},
    {"h++", "cpp"},        {"ipp", "cpp"},        {"go", "go"},
    {"rs", "rust"},        {"rb", "ruby"},        {"php", "php"},
    {"sh", "shell"},       {"bash", "shell"},     {"cs", "csharp"},
    {"kt", "kotlin"},      {"scala", "scala"},    {"swift", "swift"},
    {"lua", "lua"},        {"pl", "perl"},        {"pm", "perl"},
    {"r", "r"},            {"jl", "julia"},       {"hs", "haskell"},
};

static const struct { const char *alias; const char *lang; } k_alias[] = {
    {"python", "python"},         {"py", "python"},          {"python3", "python"},
    {"javascript", "javascript"}, {"js", "javascript"},      {"node", "javascript"},
    {"typescript", "typescript"}, {"ts", "typescript"},      {"tsx", "tsx"},
    {"java", "java"},             {"c", "c"},                {"cpp", "cpp"},
    {"c++", "cpp"},               {"cxx", "cpp"},            {"go", "go"},
    {"golang", "go"},             {"rust", "rust"},          {"rs", "rust"},
    {"ruby", "ruby"},             {"php", "php"},            {"shell", "shell"},
    {"bash", "shell"},            {"sh", "shell"},           {"c#", "csharp"},
    {"csharp", "csharp"},         {"kotlin", "kotlin"},      {"scala", "scala"},
    {"swift", "swift"},           {"lua", "lua"},            {"perl", "perl"},
    {"r", "r"},                   {"julia", "julia"},        {"haskell", "haskell"},
};

const char *sciprune_lang_from_path(const char *path)
{
    if (!path) return NULL;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    if (!dot || dot == base || !dot[1]) return NULL;
    for (size_t i = 0; i < sizeof k_ext / sizeof k_ext[0]; i++)
        if (strcasecmp(dot + 1, k_ext[i].ext) == 0) return k_ext[i].lang;
    return NULL;
}

const char *sciprune_lang_canonical(const char *name)
{
    if (!name) return NULL;
    for (size_t i = 0; i < sizeof k_alias / sizeof k_alias[0]; i++)
        if (strcasecmp(name, k_alias[i].alias) == 0) return k_alias[i].lang;
    return NULL;
}

const char *sciprune_shard_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}
