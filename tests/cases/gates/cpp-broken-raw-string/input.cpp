#include <string>
const std::string kDoc = R"doc(a document that never ends )";
int main() { return 0; }
