//===- SourceNesting.cpp - refuse sources nested too deep to parse --------===//

#include "attn/Support/SourceNesting.h"

#include <vector>

using namespace attn;

std::optional<SourcePosition> attn::findExcessiveNesting(llvm::StringRef text,
                                                         unsigned maxDepth) {
  std::vector<char> open;
  SourcePosition at{1, 1};
  auto advance = [&](char c) {
    if (c == '\n')
      at = {at.line + 1, 1};
    else
      ++at.column;
  };
  for (size_t i = 0; i < text.size(); advance(text[i++])) {
    char c = text[i];
    if (c == '"') {
      // A string literal, with backslash escapes, to its closing quote.
      for (advance(text[i++]); i < text.size() && text[i] != '"';
           advance(text[i++]))
        if (text[i] == '\\' && i + 1 < text.size())
          advance(text[i++]);
      if (i == text.size())
        return std::nullopt;
      continue;
    }
    if (c == '/' && i + 1 < text.size() && text[i + 1] == '/') {
      while (i + 1 < text.size() && text[i + 1] != '\n')
        advance(text[i++]);
      continue;
    }
    switch (c) {
    case '(':
    case '[':
    case '{':
    case '<':
      if (open.size() == maxDepth)
        return at;
      open.push_back(c);
      break;
    case ')':
    case ']':
    case '}':
      // Closes the innermost group, and any `<` left open inside it (a
      // mismatched bracket is the parser's to report).
      while (!open.empty() && open.back() == '<')
        open.pop_back();
      if (!open.empty())
        open.pop_back();
      break;
    case '>':
      if (!open.empty() && open.back() == '<' &&
          !(i > 0 && text[i - 1] == '-'))
        open.pop_back();
      break;
    default:
      break;
    }
  }
  return std::nullopt;
}

std::string attn::excessiveNestingMessage(unsigned maxDepth) {
  return "brackets nested deeper than " + std::to_string(maxDepth) +
         " levels: refused before parsing (the parser recurses once per "
         "level and would overflow its stack)";
}
